/** The guidance every agent gets in its prompt; `wg agent-guide` prints the same text. */
export const AGENT_GUIDE = `## How to work on a workgraph task

You were started by the workgraph service for ONE task. Your environment has:
  WG_TASK_ID      the task you own
  WG_AGENT_ID     your agent id (agent-N)
  WG_CLAIM_EPOCH  your claim's fencing token
  WG_DIR          the .wg directory

Required workflow:
  1. Read the task:                wg show "$WG_TASK_ID"
  2. Log progress as you go:       wg log "$WG_TASK_ID" "what you did / found"
  3. Record files you produce:     wg artifact "$WG_TASK_ID" path/to/file
  4. Validate your work (build, run the tests) before finishing.
  5. Finish with exactly one of, BEFORE you finish your response:
       wg done "$WG_TASK_ID"                         the work is complete and validated
       wg fail "$WG_TASK_ID" --reason "what blocked"  you tried and cannot complete it
     Fail honestly: a clear reason lets a human or the next attempt fix the cause.
     Ending your session without either fails the task ("agent exited without
     reporting (wg done / wg fail)"): your final answer is not read by anyone.
     (A shell task, which runs no model, is judged by its exit code instead.)

wg is the task system. Do not use your CLI's own task, todo or plan tools to track this
work, and do not create worktrees or branches for it unless the task says so: log in wg.

Claims are fenced. If wg answers exit code 3 ("claim lost: task 'x' is now held by …"),
your claim was taken away (a retry, a reset, or you were declared dead). STOP working on the
task at once: nothing you write to it will be accepted, and another agent may be on it.

Other useful commands:
  wg why-blocked ID     why a task is not ready
  wg add "Title" --after ID   create follow-up work (ready to run unless --paused)
  wg list / wg ready    see the graph
`;
