/**
 * What MySQL and MariaDB say: their connection limits, what their threads are doing, the
 * termination of this application's idle threads, fleet membership through named locks. One
 * dialect for both where they agree. Plain JDBC: failures are told apart by SQLSTATE and
 * vendor code, never by a driver's classes.
 */
@NullMarked
package io.dbbudget.server.mysql;

import org.jspecify.annotations.NullMarked;
