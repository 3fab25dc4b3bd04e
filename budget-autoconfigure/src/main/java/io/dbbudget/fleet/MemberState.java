package io.dbbudget.fleet;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * What a fleet member publishes at each heartbeat, as the {@code application_name} of its
 * coordination session: {@code pg_stat_activity} shows that name to every role, so the fleet
 * needs no schema, no extra process and no privilege to share it.
 *
 * @param demand the connections its pools would have used since the last heartbeat: the
 * peak of connections in use plus callers waiting
 * @param held the connections its pools hold now
 * @param allocation the connections its pools may hold now
 * @author db-budget team
 */
public record MemberState(int demand, int held, int allocation) {

	/**
	 * How every coordination session's name starts, so that activity samples can group them.
	 */
	public static final String PREFIX = "db-budget fleet";

	private static final Pattern FORMAT = Pattern.compile(
			Pattern.quote(PREFIX) + " d=(\\d{1,9}) h=(\\d{1,9}) a=(\\d{1,9})");

	/**
	 * The name the coordination session takes.
	 * @return the name, at most 63 characters as PostgreSQL keeps them
	 */
	public String encode() {
		return PREFIX + " d=" + this.demand + " h=" + this.held + " a=" + this.allocation;
	}

	/**
	 * Reads what a member published.
	 * @param applicationName its coordination session's name, if any
	 * @return the state, or {@code null} if the member has published none (an older version,
	 * or a member that has just joined)
	 */
	public static @Nullable MemberState parse(@Nullable String applicationName) {
		if (applicationName == null) {
			return null;
		}
		Matcher matcher = FORMAT.matcher(applicationName);
		if (!matcher.matches()) {
			return null;
		}
		return new MemberState(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)),
				Integer.parseInt(matcher.group(3)));
	}

}
