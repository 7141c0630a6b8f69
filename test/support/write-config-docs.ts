// Rewrites the configuration reference in README.md from src/config/schema.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { BEGIN, END, configReference } from '../../src/config/docs.js';

const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
writeFileSync('README.md', `${readme.slice(0, start + BEGIN.length)}\n\n${configReference().trim()}\n\n${readme.slice(end)}`);
process.stdout.write('README.md configuration reference updated.\n');
