package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

import org.jspecify.annotations.Nullable;

/**
 * Names a MySQL or MariaDB pool's sessions after the application, as the {@code program_name}
 * connection attribute. MySQL Connector/J and MariaDB Connector/J take it in the same syntax,
 * {@code connectionAttributes=program_name:<name>}. The servers show it in
 * {@code performance_schema.session_account_connect_attrs}, which every account may read for
 * its own sessions, but only while {@code performance_schema} is on (MySQL's default, not
 * MariaDB's): elsewhere the name cannot be read back.
 *
 * @author db-budget team
 */
public final class MySqlApplicationName {

	/**
	 * The driver property, for both drivers.
	 */
	public static final String PROPERTY = "connectionAttributes";

	static final String ATTRIBUTE = "program_name";

	private static final String READ = """
			SELECT ATTR_VALUE FROM performance_schema.session_account_connect_attrs
			WHERE PROCESSLIST_ID = CONNECTION_ID() AND ATTR_NAME = 'program_name'""";

	private MySqlApplicationName() {
	}

	/**
	 * The value of {@value #PROPERTY} that sends the application's name, keeping attributes
	 * the data source properties set already.
	 * @param jdbcUrl the pool's URL
	 * @param properties the pool's data source properties
	 * @param applicationName the name to send
	 * @return the property's value, or {@code null} if the URL sets connection attributes of
	 * its own (a property would compete with them) or a {@code program_name} is set already
	 */
	public static @Nullable String connectionAttributes(String jdbcUrl, Properties properties,
			String applicationName) {
		if (jdbcUrl.toLowerCase(Locale.ROOT).contains(PROPERTY.toLowerCase(Locale.ROOT) + "=")) {
			return null;
		}
		String attribute = ATTRIBUTE + ":" + applicationName.replaceAll("[,:]", "_");
		String existing = properties.stringPropertyNames()
			.stream()
			.filter(PROPERTY::equalsIgnoreCase)
			.map(properties::getProperty)
			.findFirst()
			.orElse(null);
		if (existing == null || existing.isBlank()) {
			return attribute;
		}
		return existing.contains(ATTRIBUTE + ":") ? null : existing + "," + attribute;
	}

	/**
	 * Reads the connection's own {@code program_name} back from the server.
	 * @param connection the connection
	 * @return the name, or {@code null} if it sent none or the server does not show it
	 * ({@code performance_schema} off)
	 * @throws SQLException if the server cannot be asked
	 */
	public static @Nullable String read(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(READ)) {
			return result.next() ? result.getString(1) : null;
		}
	}

}
