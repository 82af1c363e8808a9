import argon2 from 'argon2';
import type { Config } from '../../config/env.js';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

/** Argon2id (the `argon2` package: the reference implementation, maintained, prebuilt binaries). */
export function createPasswordHasher(cfg: Config['auth']['argon2']) {
  const options = { type: argon2.argon2id, memoryCost: cfg.memoryKib, timeCost: cfg.timeCost, parallelism: 1 } as const;
  // Verified against when the email is unknown, so a miss costs as much time as a wrong password.
  let dummy: Promise<string> | undefined;
  return {
    hash: (password: string) => argon2.hash(password, options),
    async verify(hash: string | null, password: string): Promise<boolean> {
      dummy ??= argon2.hash('not-a-real-password', options);
      try {
        return await argon2.verify(hash ?? (await dummy), password);
      } catch {
        return false;
      }
    },
  };
}
