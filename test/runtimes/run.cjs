// Runs the conformance checks through CommonJS `require`.
const pkg = require("k2-connect-edge");

import("./report.mjs").then(({ report }) => report(pkg));
