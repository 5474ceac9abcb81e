/**
 * An escrow id as escrowIdFor (ids.ts) makes it: `esc_` and 26 Crockford
 * base-32 digits. The API checks path ids against it, the task functions
 * their payloads.
 */
export const ESCROW_ID = /^esc_[0-9A-HJKMNP-TV-Z]{26}$/;
