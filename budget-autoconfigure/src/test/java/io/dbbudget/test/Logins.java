package io.dbbudget.test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Lets a test database's role log in, or not: a server that refuses every new session of an
 * application, without stopping the server that other tests share.
 */
public final class Logins {

	private Logins() {
	}

	/**
	 * Allows or refuses new sessions of the role; sessions already open stay.
	 * @param database the database and role
	 * @param allowed whether the role may log in
	 */
	public static void allow(TestDatabase database, boolean allowed) {
		try (Connection admin = database.adminConnection(); Statement statement = admin.createStatement()) {
			statement.execute("ALTER ROLE \"" + database.username() + "\" " + (allowed ? "LOGIN" : "NOLOGIN"));
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not change the login of " + database.username(), ex);
		}
	}

}
