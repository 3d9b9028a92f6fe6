// Stand-in for the `cloudflare:workers` module when a unit test imports Worker code in Node
// (e.g. the Hono app to list its routes). Only the base class is needed to load the modules.
export class DurableObject {
  constructor(
    readonly ctx: unknown,
    readonly env: unknown,
  ) {}
}
