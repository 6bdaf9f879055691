/** Fixture project "profiles" (tests/fixtures/projects/profiles) through the checks every fixture project gets (suite.ts). */
import { describeFixtureProject } from './suite.ts';

describeFixtureProject('profiles', 'profile_settings');
