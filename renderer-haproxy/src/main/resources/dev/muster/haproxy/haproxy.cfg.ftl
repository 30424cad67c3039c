<#-- Muster default: the header as written, then one backend per discovery backend. -->
<#-- Every ${...} is escaped for HAProxy unless marked ?no_esc (trusted settings only). -->
${header?no_esc}
<#list backends as b>

backend ${b.safeName}
<#if backendOptions[b.name]??>
${backendOptions[b.name]?no_esc}
</#if>
<#assign options = backendServerOptions[b.name]!serverOptions>
<#list b.members as m>
    server ${m.name} ${m.hostPort} id ${m.serverId?c} weight ${m.weight}<#if (m.tags["muster:maxconn"]!"")?matches("[0-9]{1,6}")> maxconn ${m.tags["muster:maxconn"]}</#if><#if m.backup> backup</#if><#if options?has_content> ${options?no_esc}</#if>
</#list>
</#list>
