/** The escrow as a decider, by concern: its history entries, their fold, the commands, and the views. */
export * from "./decide";
export * from "./entries";
export * from "./evolve";
export * from "./view";
