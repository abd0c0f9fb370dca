// Loaded by mocha before the specs (.mocharc.json "require"): output capture below the runtime.
import { reporters } from 'mocha';
import { installCapture, writeThrough } from './output';

installCapture();
// The reporter prints test titles while a test's output is still being recorded.
reporters.Base.consoleLog = writeThrough;
