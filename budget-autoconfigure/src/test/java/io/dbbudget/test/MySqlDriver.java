package io.dbbudget.test;

/**
 * The two JDBC drivers for MySQL and MariaDB, which report the same condition with different
 * SQLSTATEs, codes and exception classes: tests run with both.
 */
public enum MySqlDriver {

	/** MariaDB Connector/J 3.x: {@code jdbc:mariadb:} URLs. */
	MARIADB("jdbc:mariadb://"),

	/** MySQL Connector/J 9.x: {@code jdbc:mysql:} URLs, here against MariaDB. */
	MYSQL("jdbc:mysql://");

	private final String urlPrefix;

	MySqlDriver(String urlPrefix) {
		this.urlPrefix = urlPrefix;
	}

	/**
	 * Returns the URL for a server and database.
	 * @param hostAndPort {@code host:port}
	 * @param database the database
	 * @return the JDBC URL
	 */
	public String url(String hostAndPort, String database) {
		return this.urlPrefix + hostAndPort + "/" + database;
	}

	/**
	 * Returns the URL prefix.
	 * @return for example {@code jdbc:mariadb://}
	 */
	public String urlPrefix() {
		return this.urlPrefix;
	}

}
