/**
 * Messages to tasks and their agents (`wg msg`, SPEC §10): the record (the Rust tool's fields,
 * so `.wg/messages/<task>.jsonl` is shared with it), who counts as a human, what a reader has
 * not read yet, and what arrived for a parked task. Pure; the files live in store/messages.ts.
 */
import type { ArrivedMessages } from './wait.js';
import { parseTimestamp } from './time.js';

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'acknowledged';

export interface Message {
  /** 1, 2, 3… per task. */
  id: number;
  timestamp: string;
  /** `agent-N`, a user name, or `user` (the Rust tool's default sender). */
  sender: string;
  body: string;
  priority: 'normal' | 'urgent' | string;
  status?: DeliveryStatus | string;
  read_at?: string;
  [extra: string]: unknown;
}

/** Senders that are the machinery, not a person. */
const SYSTEM_SENDERS: ReadonlySet<string> = new Set(['coordinator', 'service', 'system', 'wg']);

/** A human wrote it: not an agent (`agent-N`) and not the service. */
export const isHumanSender = (sender: string): boolean => !/^agent-\d+$/.test(sender) && !SYSTEM_SENDERS.has(sender);

/** Messages after `cursor` (the last id the reader has seen). */
export const unreadAfter = (messages: readonly Message[], cursor: number): Message[] => messages.filter((m) => m.id > cursor);

/**
 * What arrived for a parked task since `since`, not counting what the parking agent sent itself
 * (an agent that asks a question on its own task and waits for `message` is woken by the
 * answer, not by its question).
 */
export function arrivedSince(messages: readonly Message[], since: Date | undefined, parkedBy: string | undefined): ArrivedMessages {
  const out: ArrivedMessages = { any: false, human: false };
  for (const m of messages) {
    if (parkedBy && m.sender === parkedBy) continue;
    const at = parseTimestamp(m.timestamp);
    if (since && (!at || at.getTime() < since.getTime())) continue;
    out.any = true;
    if (isHumanSender(m.sender)) out.human = true;
  }
  return out;
}

/** One line for a message in a listing or a prompt. */
export const formatMessage = (m: Message): string => `#${m.id} [${m.timestamp}] ${m.sender}${m.priority === 'urgent' ? ' [URGENT]' : ''}: ${m.body}`;
