/** The guidance every agent gets in its prompt; `wg agent-guide` prints the same text. */
export const AGENT_GUIDE = `## How to work on a workgraph task

You were started by the workgraph service for ONE task. Your environment has:
  WG_TASK_ID      the task you own
  WG_AGENT_ID     your agent id (agent-N)
  WG_CLAIM_EPOCH  your claim's fencing token
  WG_DIR          the .wg directory

The loop:
  1. Orient:    wg show "$WG_TASK_ID"; wg context (what your dependencies produced, where an
                earlier attempt stood, review feedback); wg msg read (messages for you).
  2. Work, and between steps:
       wg log "$WG_TASK_ID" "what you did / found"     leave a trail
       wg artifact "$WG_TASK_ID" path/to/file          record what you produce
       wg msg read                                     someone may have told you something
  3. Long work: checkpoint it, so a retry or a resumed attempt starts from there, not from zero:
       wg checkpoint "$WG_TASK_ID" "done: A, B; next: C; watch out for D"
  4. Need something you do not have? Do not spin or sleep in a loop:
       ask:      wg msg send "$WG_TASK_ID" "your question"
       then:     wg wait "$WG_TASK_ID" --until human-input --checkpoint "where you stand"
       (or --until task:OTHER, --until timer:30m, --until message) — then EXIT. Your claim is
       released and your slot freed; the service starts the task again (with your checkpoint
       and the answer) when the condition holds.
  5. Validate your work (build, run the tests) before finishing. If the task has a verify
     command, wg done runs it and refuses until it passes.
  6. Report before finishing: a last wg log with what you did and what is left, answer the
     messages you received. Then finish with exactly one of:
       wg done "$WG_TASK_ID"                              complete and validated
       wg incomplete "$WG_TASK_ID" --reason "what is left" progress made, another pass needed
       wg fail "$WG_TASK_ID" --reason "what blocked"       you tried and cannot complete it
     incomplete is not failure: use it when the work is sound but unfinished. Fail honestly: a
     clear reason lets a human or the next attempt fix the cause. Report BEFORE you finish
     your response: ending your session without any of these fails the task ("agent exited
     without reporting (wg done / wg fail)"), since your final answer is read by no one.
     (A shell task, which runs no model, is judged by its exit code instead.)
     Some tasks need a human's approval: wg done then leaves them pending-validation; if they
     are rejected, the next attempt's prompt carries the reviewer's reason.

Your own git worktree: when the project is a git repository you work in your own checkout
(.wg-worktrees/<agent-id>, branch wg/<agent-id>/<task>), not in the shared one. Commit as you
like; wg done commits anything left and merges your branch into the project's branch
(wg wait and wg incomplete commit what is left too: the next attempt continues your branch). If
it reports a conflict, merge that branch into yours (git merge main), resolve, commit, and run
wg done again.

The task system is wg. Do not use your CLI's own task, todo or plan tools to track this work,
and do not create worktrees or branches of your own for it (you are given one): log in wg.

Claims are fenced. If wg answers exit code 3 ("claim lost: task 'x' is now held by …"),
your claim was taken away (a retry, a reset, or you were declared dead). STOP working on the
task at once: nothing you write to it will be accepted, and another agent may be on it.

Other useful commands:
  wg why-blocked ID     why a task is not ready
  wg discover           what other tasks finished recently (and their artifacts)
  wg add "Title"        create follow-up work: it runs after your task (--independent: now;
                        --subtask: your task waits for it — then exit)
  wg list / wg ready    see the graph
`;
