/**
 * Limits shared by every way a depth reaches the daemon: the control API and
 * `deepend deepen`, policy rules (targetDepth, maxStep), fleet commands and
 * desired documents (the MQTT contract's `depth` definition, whose `maximum`
 * a test holds equal to this), and job requests.
 */
export const MAX_DEPTH = 64;
