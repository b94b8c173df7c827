// Runs the conformance checks the way Deno users import the package.
import * as pkg from "npm:k2-connect-edge";
import { report } from "./report.mjs";

await report(pkg);
