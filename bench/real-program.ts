// The real program as planStack loads it, with the start of the measurement marked just before
// index.ts is imported. Its exports are the program's own, so planStack resolves them as usual.

import { markStart } from "./marks";

markStart();
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = require("../index");
