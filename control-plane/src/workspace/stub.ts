/** How the Worker's routes reach a workspace's Durable Object, and turn its refusals into ApiError. */
import type { Env } from "../env";
import { ApiError, isRpcError, type RpcError } from "../errors";

export function workspaceStub(env: Env, workspaceId: string) {
  return env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId));
}

/** Rethrows an RPC refusal as the ApiError it stands for. */
export function unwrap<T>(value: T | RpcError): Exclude<T, RpcError> {
  if (isRpcError(value)) {
    const e = value.apiError;
    throw new ApiError(e.status as 400, e.code, e.message);
  }
  return value as Exclude<T, RpcError>;
}
