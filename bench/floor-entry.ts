// The floor program as planStack loads it (like real-program.ts for index.ts): the start of the
// measurement is marked just before the floor's modules (and so the SDK packages) are loaded, then
// it registers the skeleton the child process left in floorReplay. It exports nothing.

import { markStart } from "./marks";
import { floorReplay } from "./skeleton";

markStart();
if (!floorReplay.skeleton) throw new Error("floor-entry: no skeleton to replay (set floorReplay.skeleton first)");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { registerFloor } = require("./floor-program") as typeof import("./floor-program");
registerFloor(floorReplay.skeleton);
