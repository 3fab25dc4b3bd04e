package io.dbbudget.server.pgbouncer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.dbbudget.budget.ServerLimits;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for how {@link PgBouncerLimitsReader} reads the client limits of PgBouncer 1.24 and the
 * per-user settings of its {@code [users]} section, which the PgBouncer 1.18 the other tests
 * run cannot show. The console's answers are recorded as {@code psql} prints them, with the
 * columns of PgBouncer 1.24's {@code SHOW CONFIG}, {@code SHOW DATABASES} and
 * {@code SHOW USERS} (taken from its {@code src/admin.c}, tag {@code pgbouncer_1_24_0}), for
 * this configuration:
 * <pre>
 * [databases]
 * orders = host=10.0.0.5 pool_size=20 reserve_pool_size=5 max_db_connections=30 max_db_client_connections=24
 * reports = host=10.0.0.5 pool_mode=transaction max_db_client_connections=12
 * ledger = host=10.0.0.5 user=batch reserve_pool_size=5
 * [users]
 * orders_app = max_user_connections=8
 * batch = pool_size=6 reserve_pool_size=1
 * reporter = max_user_client_connections=4
 * [pgbouncer]
 * max_client_conn = 500
 * default_pool_size = 20
 * max_user_client_connections = 50
 * </pre>
 */
class PgBouncerShowOutputTests {

	private static final String SHOW_CONFIG = """
			            key             |  value  | default | changeable
			----------------------------+---------+---------+------------
			 max_client_conn            | 500     | 100     | yes
			 default_pool_size          | 20      | 20      | yes
			 reserve_pool_size          | 0       | 0       | yes
			 max_db_connections         | 0       | 0       | yes
			 max_db_client_connections  | 0       | 0       | yes
			 max_user_connections       | 0       | 0       | yes
			 max_user_client_connections| 50      | 0       | yes
			 pool_mode                  | session | session | yes
			""";

	private static final String SHOW_DATABASES = """
			   name    |   host    | port | database  | force_user | pool_size | min_pool_size | reserve_pool_size | server_lifetime | pool_mode   | load_balance_hosts | max_connections | current_connections | max_client_connections | current_client_connections | paused | disabled
			-----------+-----------+------+-----------+------------+-----------+---------------+-------------------+-----------------+-------------+--------------------+-----------------+---------------------+------------------------+----------------------------+--------+----------
			 ledger    | 10.0.0.5  | 5432 | ledger    | batch      |        20 |             0 |                 5 |            3600 |             |                    |               0 |                   0 |                      0 |                          0 |      0 |        0
			 orders    | 10.0.0.5  | 5432 | orders    |            |        20 |             0 |                 5 |            3600 |             |                    |              30 |                   0 |                     24 |                          0 |      0 |        0
			 pgbouncer |           | 6432 | pgbouncer | pgbouncer  |         2 |             0 |                 0 |               0 | statement   |                    |               0 |                   0 |                      0 |                          0 |      0 |        0
			 reports   | 10.0.0.5  | 5432 | reports   |            |        20 |             0 |                 0 |            3600 | transaction |                    |               0 |                   0 |                     12 |                          0 |      0 |        0
			""";

	private static final String SHOW_USERS = """
			    name    | pool_size | reserve_pool_size | pool_mode | max_user_connections | current_connections | max_user_client_connections | current_client_connections
			------------+-----------+-------------------+-----------+----------------------+---------------------+-----------------------------+----------------------------
			 batch      |         6 |                 1 |           |                    0 |                   0 |                          50 |                          0
			 orders_app |           |                   |           |                    8 |                   0 |                          50 |                          0
			 reporter   |           |                   |           |                    0 |                   0 |                           4 |                          0
			""";

	@Test
	void sessionModeTakesTheDatabasesClientLimitAndItsReservePoolSize() {
		// A user with no row of its own: the global max_user_client_connections
		PgBouncerLimits read = read("orders", "web");
		assertThat(read.poolMode()).isEqualTo(PoolMode.SESSION);
		assertThat(read.limits()).isEqualTo(new ServerLimits(500, 0, 24, 25, ServerLimits.Source.PGBOUNCER));
	}

	@Test
	void sessionModeTakesTheUsersOwnMaxUserConnections() {
		assertThat(read("orders", "orders_app").limits())
			.isEqualTo(new ServerLimits(500, 0, 24, 8, ServerLimits.Source.PGBOUNCER));
	}

	@Test
	void sessionModeTakesTheUsersOwnPoolSizeAndReservePoolSize() {
		assertThat(read("orders", "batch").limits())
			.isEqualTo(new ServerLimits(500, 0, 24, 7, ServerLimits.Source.PGBOUNCER));
	}

	@Test
	void transactionModeTakesTheClientLimitsOfTheDatabaseAndTheUser() {
		PgBouncerLimits read = read("reports", "reporter");
		assertThat(read.poolMode()).isEqualTo(PoolMode.TRANSACTION);
		assertThat(read.limits()).isEqualTo(new ServerLimits(500, 0, 12, 4, ServerLimits.Source.PGBOUNCER));
		assertThat(read.limits().usableConnections()).isEqualTo(4);
	}

	@Test
	void serverLimitsAreTheForcedUsersAndClientLimitsTheLoginUsers() {
		// ledger logs in to the server as batch: its pool is batch's, 6 + 1
		assertThat(read("ledger", "orders_app").limits())
			.isEqualTo(new ServerLimits(500, 0, ServerLimits.NO_LIMIT, 7, ServerLimits.Source.PGBOUNCER));
		// but the clients still count against the user who logs in
		assertThat(read("ledger", "reporter").limits())
			.isEqualTo(new ServerLimits(500, 0, ServerLimits.NO_LIMIT, 4, ServerLimits.Source.PGBOUNCER));
	}

	private static PgBouncerLimits read(String database, String user) {
		Map<String, String> config = new HashMap<>();
		table(SHOW_CONFIG).forEach((key, row) -> config.put(key, row.get("value")));
		return PgBouncerLimitsReader.limits(config, table(SHOW_DATABASES), table(SHOW_USERS), database, user);
	}

	// psql's aligned output: a header, a rule, then rows; an empty cell is NULL, which the
	// console's JDBC rows leave out
	private static Map<String, Map<String, String>> table(String output) {
		List<String> lines = output.lines().toList();
		List<String> columns = cells(lines.get(0));
		Map<String, Map<String, String>> rows = new LinkedHashMap<>();
		for (String line : lines.subList(2, lines.size())) {
			List<String> cells = cells(line);
			Map<String, String> row = new HashMap<>();
			for (int i = 0; i < columns.size(); i++) {
				if (!cells.get(i).isEmpty()) {
					row.put(columns.get(i), cells.get(i));
				}
			}
			rows.put(cells.get(0), row);
		}
		return rows;
	}

	private static List<String> cells(String line) {
		return Arrays.stream(line.split("\\|", -1)).map(String::trim).toList();
	}

}
