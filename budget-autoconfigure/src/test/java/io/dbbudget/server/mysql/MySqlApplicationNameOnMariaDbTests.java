package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link MySqlApplicationName}: both drivers send the name, a private MariaDB with
 * {@code performance_schema} on shows it to the account, one with it off (MariaDB's default)
 * does not.
 */
class MySqlApplicationNameOnMariaDbTests {

	private static PrivateMariaDb server;

	private static MariaDbDatabase database;

	@BeforeAll
	static void startServer() {
		server = PrivateMariaDb.builder().setting("performance-schema", "ON").start();
		database = MariaDbDatabase.create(server, "mysql-application-name");
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void sendsTheNameAsProgramNameAndReadsItBack(MySqlDriver driver) throws SQLException {
		Properties properties = new Properties();
		String attributes = MySqlApplicationName.connectionAttributes(database.jdbcUrl(driver), properties,
				"orders, eu:1");
		assertThat(attributes).isEqualTo("program_name:orders_ eu_1");
		properties.setProperty(MySqlApplicationName.PROPERTY, attributes);
		try (Connection connection = connect(database.jdbcUrl(driver), properties)) {
			assertThat(MySqlApplicationName.read(connection)).isEqualTo("orders_ eu_1");
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void keepsAttributesTheDataSourceSetsAndANameTheUrlSets(MySqlDriver driver) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty(MySqlApplicationName.PROPERTY, "team:payments");
		assertThat(MySqlApplicationName.connectionAttributes(database.jdbcUrl(driver), properties, "orders"))
			.isEqualTo("team:payments,program_name:orders");
		properties.setProperty(MySqlApplicationName.PROPERTY, "program_name:billing");
		assertThat(MySqlApplicationName.connectionAttributes(database.jdbcUrl(driver), properties, "orders"))
			.isNull();
		String url = database.jdbcUrl(driver) + "?connectionAttributes=program_name:billing";
		assertThat(MySqlApplicationName.connectionAttributes(url, new Properties(), "orders")).isNull();
		try (Connection connection = connect(url, new Properties())) {
			assertThat(MySqlApplicationName.read(connection)).isEqualTo("billing");
		}
	}

	@Test
	void theNameCannotBeReadBackWhilePerformanceSchemaIsOff() throws SQLException {
		try (PrivateMariaDb off = PrivateMariaDb.builder().setting("performance-schema", "OFF").start();
				MariaDbDatabase shared = MariaDbDatabase.create(off, "mysql-application-name-off")) {
			Properties properties = new Properties();
			properties.setProperty(MySqlApplicationName.PROPERTY, "program_name:orders");
			properties.setProperty("user", shared.username());
			properties.setProperty("password", shared.password());
			try (Connection connection = DriverManager.getConnection(shared.jdbcUrl(MySqlDriver.MARIADB),
					properties)) {
				assertThat(connection.isValid(1)).isTrue();
				assertThat(MySqlApplicationName.read(connection)).isNull();
			}
		}
	}

	private static Connection connect(String url, Properties properties) throws SQLException {
		Properties all = new Properties();
		all.putAll(properties);
		all.setProperty("user", database.username());
		all.setProperty("password", database.password());
		return DriverManager.getConnection(url, all);
	}

}
