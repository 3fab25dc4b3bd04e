package io.dbbudget.fleet;

import java.sql.Connection;
import java.sql.SQLException;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The messages a coordination session has received on its group's channel. Only PostgreSQL's
 * own driver hands them over, so this class touches it only when it is there.
 *
 * @author db-budget team
 */
final class Notifications {

	private static final boolean PGJDBC_PRESENT = isPresent("org.postgresql.PGConnection");

	private Notifications() {
	}

	static boolean available(Connection connection) throws SQLException {
		return PGJDBC_PRESENT && Pgjdbc.available(connection);
	}

	/**
	 * Hands what the session has received to a member's inbox, in the order it was sent, with
	 * the session that sent it.
	 * Those sent before this session took the turn arrived with the lock's answer: the server
	 * delivers them before it says it is ready for the next statement.
	 * @param connection the member's connection
	 * @param channel the group's channel
	 * @param inbox the member's inbox
	 * @throws SQLException if the driver cannot read them
	 */
	static void receive(Connection connection, String channel, FleetInbox inbox) throws SQLException {
		if (available(connection)) {
			Pgjdbc.receive(connection, channel, inbox);
		}
	}

	private static boolean isPresent(String className) {
		try {
			Class.forName(className, false, Notifications.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	// Loaded only when the driver is on the class path
	private static final class Pgjdbc {

		static boolean available(Connection connection) throws SQLException {
			return connection.isWrapperFor(PGConnection.class);
		}

		static void receive(Connection connection, String channel, FleetInbox inbox) throws SQLException {
			PGNotification[] received = connection.unwrap(PGConnection.class).getNotifications();
			if (received == null) {
				return;
			}
			for (PGNotification notification : received) {
				if (channel.equals(notification.getName())) {
					inbox.add(notification.getPID(), notification.getParameter());
				}
			}
		}

	}

}
