import { entityTag, type RedisTagStore } from './tag-store.js';
import { tags } from './tags.js';

/**
 * Named invalidators, called after commit by services, webhooks and the worker. Each drops the
 * cached answers a change can make stale: the entities it touched (any cached answer containing
 * them) and the lists and aggregates of that church — never another church's.
 */
type Entity = [typename: string, id: number | string];

async function drop(cache: RedisTagStore | null, list: string[], entities: Entity[] = []): Promise<void> {
  if (!cache) return;
  await cache.invalidateTags([...list, ...entities.map(([t, id]) => entityTag(t, String(id)))]);
}

/** People changed (created, edited, archived, imported, joined or left a group): lists and dashboard. */
export const invalidatePeople = (cache: RedisTagStore | null, churchId: number, entities: Entity[] = []) =>
  drop(cache, [tags.roster(churchId), tags.analytics(churchId), tags.attendance(churchId)], entities);

/** A household or group itself changed (renamed…): answers showing it, and the lists. */
export const invalidateStructure = (cache: RedisTagStore | null, churchId: number, entities: Entity[]) =>
  drop(cache, [tags.roster(churchId)], entities);

/** The church record changed. */
export const invalidateChurch = (cache: RedisTagStore | null, churchId: number) =>
  drop(cache, [tags.roster(churchId), tags.analytics(churchId)], [['Church', churchId]]);

/** Messaging figures changed (a send, a cancel, deliveries reported). */
export const invalidateMessaging = (cache: RedisTagStore | null, churchId: number, messageIds: number[] = []) =>
  drop(cache, [tags.analytics(churchId)], messageIds.map((id) => ['Message', id] as Entity));

/** After published progress (worker, webhooks, cancel): the messaging figures of those churches. */
export async function invalidateMessagingEvents(cache: RedisTagStore | null, events: Array<{ churchId: number; messageId: number }>): Promise<void> {
  const byChurch = new Map<number, number[]>();
  for (const e of events) byChurch.set(e.churchId, [...(byChurch.get(e.churchId) ?? []), e.messageId]);
  await Promise.all([...byChurch].map(([churchId, ids]) => invalidateMessaging(cache, churchId, ids)));
}

/** Events, occurrences or check-ins changed: the attendance figures and lapsed lists of that church. */
export const invalidateAttendance = (cache: RedisTagStore | null, churchId: number, entities: Entity[] = []) =>
  drop(cache, [tags.attendance(churchId)], entities);
