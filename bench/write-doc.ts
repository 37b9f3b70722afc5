/**
 * `npm run bench:doc` (and the last part of `npm run bench`): rewrites the block of
 * docs/performance.md between `<!-- bench:begin -->` and `<!-- bench:end -->` from
 * bench/results/latest.json, and report.json and import.json when present. Everything outside
 * the block is written by hand and left as it is; the same results give the same file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparisonList, importLine, reportTable, runLine, scenarioTable, type ImportRun, type LoadRun, type ReportRun } from './results-markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = 'docs/performance.md';
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

function readResults<T>(name: string, required: boolean): T | null {
  const file = path.join(ROOT, 'bench/results', name);
  if (!required && !fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The generated block, markers excluded. */
function renderBlock(load: LoadRun, report: ReportRun | null, imported: ImportRun | null): string {
  const s = load.settings;
  const flags = s.node_args.length > 0 ? s.node_args.map((a) => `\`${a}\``).join(' ') : 'none';
  const parts = [
    `<!-- Written by \`npm run bench:doc\` (bench/write-doc.ts) from bench/results/: edit those, not this block. -->`,
    `**Load** (\`bench/run.ts\` → \`latest.json\`): ${runLine(load)}; ${s.repetitions} × ${s.duration_s} s per scenario after ${s.warmup_s} s of warm-up, ${s.connections} connections; the server's Node flags ${flags}; ${s.database}.`,
    scenarioTable(load.results),
    comparisonList(load.comparisons),
  ];
  if (report) parts.push(`**Reports** (\`bench/report.ts\` → \`report.json\`): ${runLine(report)}.`, reportTable(report));
  if (imported) parts.push(`**Import** (\`bench/import.ts\` → \`import.json\`): ${runLine(imported)}.`, importLine(imported));
  return `\n${parts.join('\n\n')}\n`;
}

/** The document with its block replaced; throws unless the markers appear once each, in order. */
function replaceBlock(doc: string, block: string): string {
  const begins = doc.split(BEGIN).length - 1;
  const ends = doc.split(END).length - 1;
  const at = doc.indexOf(BEGIN);
  const until = doc.indexOf(END);
  if (begins !== 1 || ends !== 1 || until < at) {
    throw new Error(`${DOC} must hold "${BEGIN}" once, then "${END}" once (found ${begins} and ${ends}${begins === 1 && ends === 1 ? ', in the wrong order' : ''})`);
  }
  return `${doc.slice(0, at + BEGIN.length)}${block}${doc.slice(until)}`;
}

const load = readResults<LoadRun>('latest.json', true)!;
const docPath = path.join(ROOT, DOC);
const before = fs.readFileSync(docPath, 'utf8');
const after = replaceBlock(before, renderBlock(load, readResults<ReportRun>('report.json', false), readResults<ImportRun>('import.json', false)));
if (after !== before) fs.writeFileSync(docPath, after);
console.log(`${DOC}: ${after === before ? 'bench block already up to date' : 'bench block rewritten'} from bench/results/`);
