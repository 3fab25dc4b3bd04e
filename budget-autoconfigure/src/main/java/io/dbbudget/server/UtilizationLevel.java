package io.dbbudget.server;

/**
 * How full the server is, judged by {@link UtilizationThresholds}.
 *
 * @author db-budget team
 */
public enum UtilizationLevel {

	/**
	 * Below the warning threshold.
	 */
	OK,

	/**
	 * At or above the warning threshold.
	 */
	WARNING,

	/**
	 * At or above the critical threshold.
	 */
	CRITICAL,

	/**
	 * The server's activity is not known: not read yet, the last read failed, or there is no
	 * PostgreSQL server to ask.
	 */
	UNKNOWN

}
