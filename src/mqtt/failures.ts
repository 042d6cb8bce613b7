/** Why a connection attempt failed, worded once for the log. */
export interface Failure {
  /** Equal keys are the same failure: logged once, not on every retry. */
  key: string;
  text: string;
  /** Refusals and TLS problems are configuration errors; the network is a warning. */
  level: 'warn' | 'error';
  /** The CONNACK's return or reason code when the broker refused the connection. */
  refusal?: number;
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|HOSTNAME|ISSUER|SIGNATURE/;

/** An mqtt.js 'error': a CONNACK refusal has a numeric code, socket and TLS errors a string one. */
export function connectFailure(err: Error): Failure {
  const code = (err as { code?: unknown }).code;
  const text = err.message.split('\n')[0];
  if (typeof code === 'number') return { key: `connack:${code}`, text, level: 'error', refusal: code };
  if (typeof code === 'string' && TLS_CODE.test(code))
    return { key: `tls:${code}`, text: `TLS: ${opensslReason(text)} (${code})`, level: 'error' };
  if (typeof code === 'string') return { key: code, text, level: 'warn' };
  return { key: text, text, level: 'warn' };
}

/** "805C...:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/rec_layer_s3.c:1601:..." -> "tlsv13 alert certificate required" */
function opensslReason(message: string): string {
  const m = /routines:[^:]*:([^:]+):/.exec(message);
  return m ? m[1] : message;
}

/** 3.1.1's "unacceptable protocol version" (1) or 5's "unsupported protocol version" (132). */
export function isProtocolRefusal(f: Failure): boolean {
  return f.refusal === 1 || f.refusal === 132;
}
