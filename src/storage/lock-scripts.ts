/**
 * The two Lua scripts of every Redis lock here (a key set with `SET NX PX` to a random token):
 * each acts only for the holder, so a holder whose lock expired and went to another cannot undo it.
 * KEYS[1]: the lock; ARGV[1]: the token (RENEW: ARGV[2], the new time to live in ms).
 */
export const RELEASE_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
export const RENEW_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
