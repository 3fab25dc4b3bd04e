package io.dbbudget.server;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * The latest that {@link ServerActivityMonitor} knows of the server.
 *
 * @param activity the last activity read, or {@code null} if none was read yet
 * @param failure why the last attempt to read it failed, or {@code null} if it did not
 * @param failedAt when the last attempt failed, or {@code null}
 * @author db-budget team
 */
public record ServerSample(@Nullable ServerActivity activity, @Nullable String failure, @Nullable Instant failedAt) {

	static final ServerSample NONE = new ServerSample(null, null, null);

	/**
	 * The activity, unless the server failed to answer since it was read.
	 * @return the activity, or {@code null}
	 */
	public @Nullable ServerActivity current() {
		return (this.failure != null) ? null : this.activity;
	}

	/**
	 * Whether the last attempt to read the activity failed: the server could not be reached
	 * or asked.
	 * @return whether it failed
	 */
	public boolean failed() {
		return this.failure != null;
	}

	ServerSample failedWith(String failure) {
		return new ServerSample(this.activity, failure, Instant.now());
	}

}
