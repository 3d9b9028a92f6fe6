/** The dashboard's entry: wires the router to the page and renders the app. */
import { render } from "preact";
import { App } from "./app";
import { interceptLinks } from "./lib/router";
import { checkSession } from "./state/session";

interceptLinks();
void checkSession();
render(<App />, document.getElementById("app")!);
