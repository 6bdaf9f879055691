/** Fixture project "teams" (tests/fixtures/projects/teams) through the checks every fixture project gets (suite.ts). */
import { describeFixtureProject } from './suite.ts';

describeFixtureProject('teams', 'projects');
