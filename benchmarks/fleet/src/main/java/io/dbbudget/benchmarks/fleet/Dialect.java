package io.dbbudget.benchmarks.fleet;

/**
 * The SQL of the fleet transaction that differs between servers ({@code fleet.dialect}).
 *
 * @author db-budget team
 */
public enum Dialect {

	/** PostgreSQL: {@code clock_timestamp()} and {@code pg_sleep}. */
	POSTGRESQL("UPDATE fleet_account SET balance = balance + ?, updated_at = clock_timestamp() WHERE id = ?",
			"SELECT pg_sleep(?)"),

	/**
	 * MariaDB and MySQL: {@code SYSDATE(6)}, the clock when the statement runs as
	 * {@code clock_timestamp()} is, and {@code SLEEP}.
	 */
	MARIADB("UPDATE fleet_account SET balance = balance + ?, updated_at = SYSDATE(6) WHERE id = ?", "SELECT SLEEP(?)");

	private final String update;

	private final String sleep;

	Dialect(String update, String sleep) {
		this.update = update;
		this.sleep = sleep;
	}

	/**
	 * The write: an account's balance changed by the first parameter, its id the second.
	 */
	String update() {
		return this.update;
	}

	/**
	 * The pause before the commit, in seconds (fractions allowed) as its one parameter.
	 */
	String sleep() {
		return this.sleep;
	}

}
