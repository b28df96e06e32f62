// CometGrains in Azure: a storage account whose Table service holds every silo's replicas,
// versions, hints, timers and the membership table; a user-assigned managed identity that may
// read and write table data (no account keys anywhere: shared-key access is disabled); and an
// Azure Container Apps environment running N silo replicas that authenticate as that identity.
//
// Deploy (see README.md): az deployment group create -g <rg> -f infra/azure/main.bicep -p image=<registry>/cometgrains-silo:<tag>

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Short lowercase prefix for resource names.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'comet'

@description('The silo image, built from infra/azure/Dockerfile and pushed to a registry.')
param image string

@description('Login server of an Azure Container Registry holding the image (pulled with the managed identity), or empty for a public image.')
param registryServer string = ''

@description('Number of silos (container replicas). N=3 replication needs at least 3.')
@minValue(1)
@maxValue(30)
param silos int = 3

@description('vCPUs per silo.')
param cpu string = '1.0'

@description('Memory per silo.')
param memory string = '2Gi'

var storageAccountName = toLower('${namePrefix}${uniqueString(resourceGroup().id)}')
// Built-in role "Storage Table Data Contributor": read, write and delete tables and entities.
var tableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Built-in role "AcrPull", for pulling the image with the same identity.
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // No keys: only Microsoft Entra identities (the silos' managed identity) can reach the data.
    allowSharedKeyAccess: false
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-silo-identity'
  location: location
}

resource tableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, tableDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributorRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(registryServer)) {
  name: empty(registryServer) ? 'unused' : split(registryServer, '.')[0]
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(registryServer)) {
  name: guid(resourceGroup().id, identity.id, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource silo 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${namePrefix}-silo'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  dependsOn: [ tableData, pull ]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      // The REST gateway (port 8080) is the public entry point; any silo answers any key.
      ingress: {
        external: true
        targetPort: 8080
        transport: 'http'
        // Silo-to-silo (11111) and the binary client gateway (30000) stay inside the environment.
        additionalPortMappings: [
          { external: false, targetPort: 11111 }
          { external: false, targetPort: 30000 }
        ]
      }
      registries: empty(registryServer) ? [] : [
        { server: registryServer, identity: identity.id }
      ]
    }
    template: {
      containers: [
        {
          name: 'silo'
          image: image
          resources: { cpu: json(cpu), memory: memory }
          env: [
            { name: 'Comet__Storage__Provider', value: 'azure' }
            { name: 'Comet__Storage__AzureTableEndpoint', value: storage.properties.primaryEndpoints.table }
            { name: 'Comet__Storage__AzureManagedIdentityClientId', value: identity.properties.clientId }
            // Production: no anonymous dev namespace. Configure namespaces and API keys (Comet__Silo__Namespaces__...).
            { name: 'Comet__Silo__DevMode', value: 'false' }
          ]
          probes: [
            { type: 'Liveness', tcpSocket: { port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 }
          ]
        }
      ]
      // A fixed number of silos: the ring rebalances on membership changes, so no autoscaling.
      scale: { minReplicas: silos, maxReplicas: silos }
    }
  }
}

@description('The public REST gateway, e.g. https://<app>.<env>.<region>.azurecontainerapps.io/v1/default/keys/hello')
output restEndpoint string = 'https://${silo.properties.configuration.ingress.fqdn}'

@description('The table endpoint the silos use.')
output tableEndpoint string = storage.properties.primaryEndpoints.table

@description('Client id of the silos identity.')
output identityClientId string = identity.properties.clientId
