// The OpenAPI document lists every route the app mounts, and its bodies are the validators' schemas.
import { describe, expect, it } from "vitest";
import { app } from "./app";
import { openApiDocument, ROUTES } from "./openapi";

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

describe("openapi.json", () => {
  it("documents every route the app serves, and nothing it does not", () => {
    const served = new Set(
      app.routes
        // The test hooks (TEST_HOOKS=1 only) are not part of the API.
        .filter((r) => METHODS.has(r.method) && !r.path.startsWith("/api/v1/_test/"))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/^\/api\/v1/, "").replace(/:(\w+)/g, "{$1}").replace(/\/$/, "") || "/"}`),
    );
    const documented = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect([...served].filter((r) => !documented.has(r)).sort(), "served but not documented").toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort(), "documented but not served").toEqual([]);
  });

  it("is an OpenAPI 3.1 document with JSON Schema request bodies", () => {
    const doc = openApiDocument("https://multica.example.com");
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]?.url).toBe("https://multica.example.com/api/v1");
    const create = doc.paths["/workspaces/{workspaceId}/issues"]?.post as { requestBody: { content: { "application/json": { schema: { properties: Record<string, unknown>; required: string[] } } } } };
    expect(Object.keys(create.requestBody.content["application/json"].schema.properties)).toEqual(expect.arrayContaining(["title", "body"]));
    expect(create.requestBody.content["application/json"].schema.required).toEqual(["title"]);
  });
});
