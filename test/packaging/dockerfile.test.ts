/**
 * The Dockerfile, checked against the repository without building it (there is
 * no container engine here, no hadolint in Debian). Each check names the mistake it
 * catches: a COPY of a file that was renamed, a build stage missing a source folder the
 * TypeScript build includes, an `npm run` of a script that is gone, a native module
 * added to package.json without the apt packages it compiles or runs against, an
 * ENTRYPOINT or CMD the command line would refuse.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { AGENT_CLI } from "../../agent/cli/agent-commands.js";
import { runCli } from "../../lib/cli/run-cli.js";
import {
  aptPackages,
  copyArgs,
  execWords,
  type Instruction,
  npmCommands,
  parseDockerfile,
} from "../helpers/dockerfile-parse.js";

const ROOT = join(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const pkg = JSON.parse(read("package.json"));
const stages = parseDockerfile(read("Dockerfile"));
const build = stages.find((s) => s.name === "build");
const runtime = stages.at(-1);

/**
 * What each dependency with an install script (package.json allowScripts) needs from
 * Debian: to build (beside python3, make and g++ for node-gyp) and at run time.
 * A new native dependency must be added here, and to the Dockerfile.
 */
const NATIVE: Record<string, { build: string[]; run: string[] }> = {
  "@serialport/bindings-cpp": { build: [], run: [] },
  "@pokusew/pcsclite": { build: ["libpcsclite-dev"], run: ["libpcsclite1"] },
  esbuild: { build: [], run: [] }, // a prebuilt binary; a dev tool, pruned from the image
};

const runs = (ins: Instruction[]) => ins.filter((i) => i.keyword === "RUN").map((i) => i.text);
const aptIn = (ins: Instruction[]) => runs(ins).flatMap(aptPackages);

t.test("two stages: a build named 'build', then the runtime", async (t) => {
  t.ok(build, "a stage AS build");
  t.ok(runtime && runtime !== build, "a runtime stage after it");
});

t.test("every COPY from the build context names a file or folder that exists", async (t) => {
  for (const stage of stages)
    for (const ins of stage.instructions.filter((i) => i.keyword === "COPY")) {
      const { from, sources } = copyArgs(ins.text);
      if (from !== undefined) {
        const earlier = stages.slice(0, stages.indexOf(stage)).map((s) => s.name);
        t.ok(earlier.includes(from), `line ${ins.line}: --from=${from} is an earlier stage`);
        continue;
      }
      for (const src of sources) t.ok(existsSync(join(ROOT, src)), `line ${ins.line}: COPY ${src} exists`);
    }
});

t.test("the build stage's npm steps match package.json and the TypeScript build", async (t) => {
  const ins = build?.instructions ?? [];
  const copied = (upTo: number) =>
    ins
      .filter((i) => i.keyword === "COPY" && i.line < upTo)
      .flatMap((i) => copyArgs(i.text).sources.map((s) => s.replace(/\/$/, "")));
  const npm = ins.filter((i) => i.keyword === "RUN" && npmCommands(i.text).length > 0);
  const ci = npm.find((i) => npmCommands(i.text).includes("ci"));
  t.ok(ci, "npm ci (the lock file, not a fresh resolve)");
  t.ok(copied(ci?.line ?? 0).includes("package-lock.json"), "package-lock.json is copied before npm ci");
  t.ok(copied(ci?.line ?? 0).includes("package.json"), "package.json is copied before npm ci");
  for (const i of npm)
    for (const cmd of npmCommands(i.text)) {
      const script = /^run\s+(\S+)/.exec(cmd)?.[1];
      if (script) t.ok(pkg.scripts[script], `line ${i.line}: npm run ${script} is a script in package.json`);
    }
  const buildRun = npm.find((i) => npmCommands(i.text).some((c) => c === "run build"));
  t.ok(buildRun, "npm run build");
  const before = copied(buildRun?.line ?? 0);
  const include: string[] = JSON.parse(read("tsconfig.build.json")).include;
  for (const dir of [...include, "tsconfig.json", "tsconfig.build.json"])
    t.ok(before.includes(dir), `${dir} (tsconfig.build.json) is copied before npm run build`);
  t.ok(
    npm.some((i) => npmCommands(i.text).some((c) => /^prune\b.*--omit=dev/.test(c))),
    "dev dependencies are pruned before node_modules goes to the runtime",
  );
});

t.test("apt-get installs what the native dependencies need, the Debian way", async (t) => {
  const allowed = Object.keys(pkg.allowScripts ?? {});
  for (const dep of allowed) t.ok(NATIVE[dep], `${dep} (allowScripts) is known to this test and to the Dockerfile`);
  const buildApt = aptIn(build?.instructions ?? []);
  const runApt = aptIn(runtime?.instructions ?? []);
  for (const tool of ["python3", "make", "g++"])
    t.ok(buildApt.includes(tool), `build stage installs ${tool} (node-gyp)`);
  for (const dep of allowed) {
    for (const p of NATIVE[dep]?.build ?? []) t.ok(buildApt.includes(p), `build stage installs ${p} for ${dep}`);
    for (const p of NATIVE[dep]?.run ?? []) t.ok(runApt.includes(p), `runtime installs ${p} for ${dep}`);
  }
  for (const stage of stages)
    for (const run of runs(stage.instructions).filter((r) => aptPackages(r).length > 0)) {
      t.match(run, /apt-get update/, "apt-get update in the same RUN as the install");
      t.match(run, /--no-install-recommends/, "no recommended packages");
      t.match(run, /rm -rf \/var\/lib\/apt\/lists/, "apt lists removed in the same layer");
    }
  // Where this machine's apt knows the archive, each package name must be one it has.
  const names = [...new Set([...buildApt, ...runApt])];
  const known = spawnSync("apt-cache", ["show", "libc6"], { encoding: "utf8" }).status === 0;
  if (!known) t.comment("apt-cache has no package lists here: package names not looked up");
  // One look-up for all (each apt-cache start reads the whole cache); one each only to name a miss.
  else if (spawnSync("apt-cache", ["show", "--no-all-versions", ...names]).status === 0)
    t.pass(`apt-cache knows ${names.join(" ")}`);
  else for (const p of names) t.equal(spawnSync("apt-cache", ["show", p]).status, 0, `apt-cache knows ${p}`);
});

t.test("the images' Node and the runtime's entry match package.json", async (t) => {
  const minimum = Number(/(\d+)/.exec(pkg.engines.node)?.[1]);
  for (const s of stages) {
    const major = Number(/^node:(\d+)/.exec(s.image)?.[1]);
    t.ok(major >= minimum, `${s.image}: Node ${major} satisfies engines ${pkg.engines.node}`);
  }
  const ins = runtime?.instructions ?? [];
  const user = ins.find((i) => i.keyword === "USER");
  t.ok(user && user.text !== "root" && user.text !== "0", "the runtime runs as a non-root user");
  const entry = execWords(ins.find((i) => i.keyword === "ENTRYPOINT")?.text ?? "[]");
  t.same(entry, ["node", pkg.bin.cardterm], "ENTRYPOINT runs package.json's bin.cardterm");
  const outDir = JSON.parse(read("tsconfig.json")).compilerOptions.outDir;
  t.ok(pkg.bin.cardterm.startsWith(`${outDir}/`), `bin.cardterm is in tsc's outDir (${outDir})`);
  const workdir = build?.instructions.find((i) => i.keyword === "WORKDIR")?.text;
  const fromBuild = ins.filter((i) => i.keyword === "COPY" && copyArgs(i.text).from === "build");
  t.ok(
    fromBuild.some((i) => copyArgs(i.text).sources.includes(`${workdir}/${outDir}`)),
    `the runtime copies ${workdir}/${outDir} from the build`,
  );
});

t.test("the image's CMD is a command line cardterm accepts", async (t) => {
  const cmd = execWords(runtime?.instructions.find((i) => i.keyword === "CMD")?.text ?? "[]");
  t.ok(cmd.length > 0, "a CMD");
  let reached = "";
  const commands = AGENT_CLI.commands.map((c) => ({
    ...c,
    run: () => {
      reached = c.path;
      return 0;
    },
  }));
  const errors: string[] = [];
  const io = { out: () => {}, err: (s: string) => errors.push(s), crashLog: () => undefined };
  const code = await runCli({ ...AGENT_CLI, commands }, cmd, io, () => undefined);
  t.equal(code, 0, `cardterm ${cmd.join(" ")}: ${errors.join(" ")}`);
  t.equal(reached, cmd[0], "and runs that command");
});
