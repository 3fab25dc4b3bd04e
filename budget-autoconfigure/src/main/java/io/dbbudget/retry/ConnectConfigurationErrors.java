package io.dbbudget.retry;

import java.io.EOFException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;

import javax.net.ssl.SSLException;

import org.jspecify.annotations.Nullable;

/**
 * Connect-time failures that no wait cures, found by their cause rather than their SQLSTATE:
 * pgjdbc reports a certificate or host name that does not verify as {@code 08006}, and a host
 * name that does not resolve as {@code 08001}, the same states as a server that is briefly
 * down.
 *
 * @author db-budget team
 */
final class ConnectConfigurationErrors {

	/**
	 * The reason for a host name that does not resolve.
	 */
	static final String UNKNOWN_HOST = "unknown-host";

	/**
	 * The reason for a TLS set-up that fails: certificate, host name verification, key or root
	 * certificate file.
	 */
	static final String TLS = "tls";

	/**
	 * The reason for a class named in the connection's settings (socket or SSL factory) that
	 * cannot be loaded.
	 */
	static final String DRIVER_CLASS = "driver-class";

	// pgjdbc's TLS set-up throws its own errors from here: host name verification has no cause
	// to go by, and its message is translated
	private static final String PGJDBC_TLS_PACKAGE = "org.postgresql.ssl.";

	private ConnectConfigurationErrors() {
	}

	/**
	 * The configuration error behind a connection failure.
	 * @param failure what {@code getConnection()} threw
	 * @return {@link #UNKNOWN_HOST}, {@link #TLS}, {@link #DRIVER_CLASS}, or {@code null} if
	 * the failure is not a configuration error
	 */
	static @Nullable String find(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = TransientFailures.next(cause)) {
			if (cause instanceof UnknownHostException) {
				// The JVM caches the failed lookup (networkaddress.cache.negative.ttl, 10 s by
				// default), longer than the default retries last: a retry would get the same answer
				return UNKNOWN_HOST;
			}
			if (cause instanceof ReflectiveOperationException) {
				return DRIVER_CLASS;
			}
			if (cause instanceof SSLException || cause instanceof GeneralSecurityException || isPgjdbcTls(cause)) {
				// A handshake cut short by a server going down is a broken connection, not a
				// configuration error
				return brokenConnectionBeneath(cause) ? null : TLS;
			}
		}
		return null;
	}

	private static boolean isPgjdbcTls(Throwable failure) {
		StackTraceElement[] stack = failure.getStackTrace();
		return stack.length > 0 && stack[0].getClassName().startsWith(PGJDBC_TLS_PACKAGE);
	}

	private static boolean brokenConnectionBeneath(Throwable failure) {
		for (Throwable cause = TransientFailures.next(failure); cause != null; cause = TransientFailures.next(cause)) {
			if (cause instanceof EOFException || cause instanceof SocketException
					|| cause instanceof InterruptedIOException) {
				return true;
			}
		}
		return false;
	}

}
