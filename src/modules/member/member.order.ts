import { enumObject } from '../../lib/enum-object.js';

/** How the directory may be ordered (not stored: a GraphQL argument the member service reads). */
export const MEMBER_ORDERS = ['NAME', 'JOINED'] as const;
export const MemberOrderBy = enumObject(MEMBER_ORDERS);
export type MemberOrderBy = (typeof MEMBER_ORDERS)[number];
