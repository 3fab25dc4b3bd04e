/**
 * PostgreSQL's dialect: its connection limits and settings, the activity sample from
 * {@code pg_stat_activity} and the termination of this application's idle sessions.
 */
@NullMarked
package io.dbbudget.server.postgresql;

import org.jspecify.annotations.NullMarked;
