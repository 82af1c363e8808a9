export * from './enums.js';
export * from './church.js';
export * from './member.js';
export * from './group.js';
export * from './auth.js';
export * from './message.js';
export * from './consent.js';
export * from './attendance.js';
