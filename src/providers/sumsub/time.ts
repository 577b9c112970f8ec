import { isoAt } from "../../core/clock.js";

/** `2026-01-01 00:00:00`: how Sumsub writes an applicant's `createdAt` (UTC). */
export const plainTime = (ms: number): string => isoAt(ms).slice(0, 19).replace("T", " ");

/** `2026-01-01 00:00:00+0000`: a review's `createDate` and `reviewDate`. */
export const reviewTime = (ms: number): string => `${plainTime(ms)}+0000`;

/** `2026-01-01 00:00:00.000`: a webhook's `createdAtMs`. */
export const msTime = (ms: number): string => isoAt(ms).slice(0, 23).replace("T", " ");
