/**
 * Moves due delayed jobs from their sorted set onto the stream, atomically, in one Lua script: a job is
 * never both waiting and enqueued, never enqueued twice, and several promoters may run at once.
 *
 * Each tracebridge member becomes an entry with exactly the fields it stores (the trace context of its
 * scheduling included, so the job runs in its originating trace). A member tracebridge did not write is
 * not dropped: it becomes an entry with one field, `member`, holding it byte for byte.
 *
 * No job can block the others: `XADD` takes all of an entry's fields in one call, and Redis' Lua cannot
 * pass more than about 8,000 values to a call (`unpack`: "too many results to unpack"), so a member with
 * more than {@link DELAYED_JOB_MAX_FIELDS} fields (which `schedule` refuses, but an older writer or another
 * program may have stored) is moved aside, into the set-aside sorted set with its due time, instead of
 * failing every promotion from the head of the set.
 */
import { logger } from '../core/diagnostics';
import type { RedisCommandClient } from './redis-client';
import { DELAYED_JOB_MARKER } from './delayed-job-member';
import { redisScript, runScript } from './redis-script';

/**
 * The most fields (name-value pairs, tracebridge's context fields included) a delayed job may have: what
 * one `XADD` from Lua can take (about 7,990 values), less room for the command's own arguments.
 */
export const DELAYED_JOB_MAX_FIELDS = 3900;

/**
 * KEYS: the sorted set, the stream, the set-aside set. ARGV: now (ms), limit, max length (0: no trimming),
 * the marker, the most values of an entry. Returns { moved, set aside }.
 */
const PROMOTE_SCRIPT = redisScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]), 'WITHSCORES')
local maxlen = tonumber(ARGV[3])
local maxvalues = tonumber(ARGV[5])
local moved, setaside = 0, 0
for d = 1, #due, 2 do
  local member = due[d]
  local ok, job = pcall(cmsgpack.unpack, member)
  local fields = nil
  if ok and type(job) == 'table' and job[1] == ARGV[4] and #job >= 4 and #job % 2 == 0 then
    fields = {}
    for i = 3, #job do
      if type(job[i]) ~= 'string' then
        fields = nil
        break
      end
      fields[#fields + 1] = job[i]
    end
  end
  if fields == nil then fields = { 'member', member } end
  if #fields > maxvalues then
    redis.call('ZADD', KEYS[3], due[d + 1], member)
    setaside = setaside + 1
  elseif maxlen > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', unpack(fields))
    moved = moved + 1
  else
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[1], member)
end
return { moved, setaside }
`);

/** The keys promotion works on. */
export interface DelayedJobKeys {
  readonly delayed: string;
  readonly stream: string;
  /** Where a job too wide to promote is moved, with its due time as its score. */
  readonly setAside: string;
}

/** Runs the promotion script and resolves with how many jobs moved onto the stream. */
export async function promoteDueJobs(
  redis: RedisCommandClient,
  keys: DelayedJobKeys,
  nowMs: number,
  limit: number,
  maxLen: number,
): Promise<number> {
  const reply = await runScript(
    redis,
    PROMOTE_SCRIPT,
    [keys.delayed, keys.stream, keys.setAside],
    [nowMs, limit, maxLen, DELAYED_JOB_MARKER, DELAYED_JOB_MAX_FIELDS * 2],
  );
  const [moved, setAside] = Array.isArray(reply) ? (reply as unknown[]).map(Number) : [Number(reply), 0];
  if (setAside !== undefined && setAside > 0) {
    logger.warn(
      `${setAside} delayed job(s) of ${keys.stream} have more than ${DELAYED_JOB_MAX_FIELDS} fields and ` +
        `cannot be moved onto the stream; they were moved aside to ${keys.setAside}`,
    );
  }
  return moved ?? 0;
}
