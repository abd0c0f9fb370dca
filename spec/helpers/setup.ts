// Loaded by mocha before the specs (.mocharc.json "require"): output capture below the runtime.
import { reporters } from 'mocha';
import { installCapture, writeThrough } from './output';

installCapture();
// The reporter prints test titles while a test's output is still being recorded.
reporters.Base.consoleLog = writeThrough;

// The specs play FC: the runtime trusts x-fc-* request headers only where FC's environment is
// (SPEC, "Trust"). Every child process they start inherits it; the specs of the runtime off FC
// take it away or pass trustFcHeaders: false.
process.env.FC_FUNC_CODE_PATH ??= '/code';
