/**
 * An escrow id as escrowIdFor (ids.ts) makes it: `esc_`, the cell that made
 * it and `_` (none for the home cell: every id issued before cells), then 26
 * Crockford base-32 digits. The API checks path ids against it, the task
 * functions their payloads.
 */
export const ESCROW_ID = /^esc_(?:[a-z][a-z0-9]{0,7}_)?[0-9A-HJKMNP-TV-Z]{26}$/;
