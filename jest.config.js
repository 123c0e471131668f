// Tests are transpiled by swc (fast, no type-check); `npm test` type-checks once with tsc first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  // Loading the Pulumi SDK takes about a second per file; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 30000,
};
