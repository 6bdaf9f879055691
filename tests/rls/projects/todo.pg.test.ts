/** Fixture project "todo" (tests/fixtures/projects/todo) through the checks every fixture project gets (suite.ts). */
import { describeFixtureProject } from './suite.ts';

describeFixtureProject('todo', 'todos');
