// Runs the conformance checks where the package resolves as "k2-connect-edge" (Node, Bun).
import * as pkg from "k2-connect-edge";
import { report } from "./report.mjs";

await report(pkg);
