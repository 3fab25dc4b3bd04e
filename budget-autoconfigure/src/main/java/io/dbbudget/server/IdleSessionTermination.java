package io.dbbudget.server;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What {@link IdleSessionTerminator} ended, or why it ended nothing.
 *
 * @param applicationName the {@code application_name} of the sessions it looked for
 * @param user the role of the sessions it looked for
 * @param idleLongerThan how long a session had to be idle
 * @param terminated the sessions it ended
 * @param skipped why it did not look for sessions at all, or {@code null}
 * @author db-budget team
 */
public record IdleSessionTermination(@Nullable String applicationName, @Nullable String user, Duration idleLongerThan,
		List<TerminatedSession> terminated, @Nullable String skipped) {

	/**
	 * Nothing was looked for.
	 * @param idleLongerThan how long a session would have had to be idle
	 * @param reason why
	 * @return the outcome
	 */
	public static IdleSessionTermination skipped(Duration idleLongerThan, String reason) {
		return new IdleSessionTermination(null, null, idleLongerThan, List.of(), reason);
	}

	/**
	 * A session that was ended.
	 *
	 * @param pid its server process
	 * @param database its database
	 * @param idleSince when it last finished a statement
	 */
	public record TerminatedSession(int pid, @Nullable String database, Instant idleSince) {

	}

}
