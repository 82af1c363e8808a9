import { Redis } from 'ioredis';

/** Deletes every key under a prefix (tests own their prefix; SCAN, never KEYS). */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    let n = 0;
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length) n += await redis.del(...keys);
    }
    return n;
  } finally {
    redis.disconnect();
  }
}
