/**
 * Moves due delayed jobs from their sorted set onto the stream, atomically, in one Lua script: a job is
 * never both waiting and enqueued, never enqueued twice, and several promoters may run at once.
 *
 * Each tracebridge member becomes an entry with exactly the fields it stores (the trace context of its
 * scheduling included, so the job runs in its originating trace). A member tracebridge did not write is
 * not dropped: it becomes an entry with one field, `member`, holding it byte for byte.
 */
import { createHash } from 'node:crypto';
import type { RedisArgument, RedisCommandClient } from './redis-client';
import { DELAYED_JOB_MARKER } from './delayed-job-member';

/** KEYS: the sorted set, the stream. ARGV: now (ms), limit, max length (0: no trimming), the marker. */
const PROMOTE_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local maxlen = tonumber(ARGV[3])
for _, member in ipairs(due) do
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
  if maxlen > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', unpack(fields))
  else
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  end
  redis.call('ZREM', KEYS[1], member)
end
return #due
`;

const PROMOTE_SCRIPT_SHA1 = createHash('sha1').update(PROMOTE_SCRIPT).digest('hex');

/**
 * Runs the promotion script (by its hash, loading it on first use) and resolves with how many jobs moved.
 * The client is not changed: no `defineCommand`.
 */
export async function promoteDueJobs(
  redis: RedisCommandClient,
  keys: { readonly delayed: string; readonly stream: string },
  nowMs: number,
  limit: number,
  maxLen: number,
): Promise<number> {
  const args: RedisArgument[] = [2, keys.delayed, keys.stream, nowMs, limit, maxLen, DELAYED_JOB_MARKER];
  let moved: unknown;
  try {
    moved = await redis.call('EVALSHA', PROMOTE_SCRIPT_SHA1, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    moved = await redis.call('EVAL', PROMOTE_SCRIPT, ...args);
  }
  return Number(moved);
}
