/** Public surface of @multica/shared: the wire protocol and the types both sides use. */
export * from "./ids";
export * from "./events";
export * from "./tasks";
export * from "./api";
export * from "./protocol/version";
export * from "./protocol/runner";
export * from "./protocol/control";
export * from "./protocol/viewer";
export * from "./protocol/parse";
export * from "./skills";
export * from "./skill-bundle";
export * from "./protocol/board";
export * from "./board-api";
export * from "./admin-api";
export * from "./schedule-api";
