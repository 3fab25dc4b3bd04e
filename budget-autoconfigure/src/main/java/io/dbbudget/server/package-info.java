/**
 * What PostgreSQL says: its connection limits, what its sessions are doing, and the
 * termination of this application's idle sessions. Plain JDBC.
 */
@NullMarked
package io.dbbudget.server;

import org.jspecify.annotations.NullMarked;
