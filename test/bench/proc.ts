import { readFileSync } from 'node:fs';

/** A live process's memory and CPU, read from /proc (Linux), for the benches that run the worker as a child. */

/** USER_HZ: 100 on every Linux the bench runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Resident set size now and its high-water mark, in bytes; zeros once the process is gone. */
export function rssOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/**
 * CPU seconds (user + sys, children included) of a live process, from /proc/<pid>/stat: utime,
 * stime, cutime, cstime are fields 14-17, counted after the parenthesised command name.
 */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): field n is fields[n - 3].
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i] ?? 0), 0);
    return ticks / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
