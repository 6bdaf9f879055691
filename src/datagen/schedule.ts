/**
 * Runs a graph of tasks on a few connections: a task starts when the tasks
 * it depends on are done, the free connection takes the ready task with the
 * longest chain of work behind it, and exclusive tasks (steps whose
 * triggers fire, and SQL steps: they may write rows another step's triggers
 * write too) never run at the same time as each other. The first failure
 * stops the other connections after their current task and is rethrown.
 */
import type { Queryable } from '@databases/pg';

export interface Task {
  readonly id: string;
  readonly dependsOn: readonly string[];
  /** Relative cost, for priorities only. */
  readonly weight: number;
  readonly exclusive: boolean;
  run(connection: Queryable): Promise<void>;
}

/** Longest weighted path from each task to the end of the graph. */
export function priorities(tasks: readonly Task[]): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const task of tasks) for (const dependency of task.dependsOn) dependents.set(dependency, [...(dependents.get(dependency) ?? []), task.id]);
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const memo = new Map<string, number>();
  const visit = (id: string, trail: Set<string>): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    if (trail.has(id)) throw new Error(`internal: task cycle through ${id}`);
    trail.add(id);
    const below = Math.max(0, ...(dependents.get(id) ?? []).map((next) => visit(next, trail)));
    trail.delete(id);
    const value = (byId.get(id)?.weight ?? 0) + below;
    memo.set(id, value);
    return value;
  };
  for (const task of tasks) visit(task.id, new Set());
  return memo;
}

export async function runTasks(tasks: readonly Task[], workers: number, withConnection: <T>(work: (connection: Queryable) => Promise<T>) => Promise<T>): Promise<void> {
  const ids = new Set(tasks.map((task) => task.id));
  for (const task of tasks) {
    for (const dependency of task.dependsOn) if (!ids.has(dependency)) throw new Error(`internal: task ${task.id} depends on unknown task ${dependency}`);
  }
  const rank = priorities(tasks);
  const waiting = [...tasks].sort((a, b) => (rank.get(b.id) ?? 0) - (rank.get(a.id) ?? 0));
  const done = new Set<string>();
  let exclusiveRunning = false;
  let failure: { error: unknown } | null = null;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const signal = () => {
    const resolve = wake;
    changed = new Promise<void>((next) => {
      wake = next;
    });
    resolve();
  };
  const next = (): Task | null => {
    const index = waiting.findIndex((task) => task.dependsOn.every((dependency) => done.has(dependency)) && !(task.exclusive && exclusiveRunning));
    if (index < 0) return null;
    const [task] = waiting.splice(index, 1);
    return task ?? null;
  };
  const worker = async (connection: Queryable): Promise<void> => {
    for (;;) {
      if (failure) return;
      const task = next();
      if (!task) {
        if (waiting.length === 0) return;
        await changed;
        continue;
      }
      if (task.exclusive) exclusiveRunning = true;
      try {
        await task.run(connection);
        done.add(task.id);
      } catch (error) {
        failure ??= { error };
      } finally {
        if (task.exclusive) exclusiveRunning = false;
        signal();
      }
    }
  };
  const count = Math.max(1, Math.min(workers, tasks.length));
  await Promise.all(Array.from({ length: count }, () => withConnection(worker)));
  if (failure) throw (failure as { error: unknown }).error;
  if (waiting.length > 0) throw new Error(`internal: tasks never became ready: ${waiting.map((task) => task.id).join(', ')}`);
}
